-- reporting's schema: case counts per local day and dimension, kept up to
-- date by the event consumers (one row per day × dimension × key).
CREATE TABLE daily_counts (
    day       DATE   NOT NULL,
    -- total, channel, category, kind, region, severity, department
    dimension TEXT   NOT NULL,
    key       TEXT   NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (day, dimension, key)
);
