-- Nothing looks orders up by case id (the case number has its own unique
-- index) or by alert stage; both indexes only cost a write on every step.
DROP INDEX IF EXISTS work_orders_case;
DROP INDEX IF EXISTS work_orders_alerted;
