-- What triage follows of each case it routed, to judge later complaints:
-- duplicates and second complaints (by the complainant's pseudonymous key)
-- and batch incidents (by region, category and time). The work order's
-- state, holder and conclusion come from dispatch's workflow steps.
CREATE TABLE matters (
    case_id         UUID        PRIMARY KEY,
    case_number     TEXT        NOT NULL,
    complainant_key TEXT        NOT NULL DEFAULT '',
    region          TEXT        NOT NULL,
    category        TEXT        NOT NULL,
    facts           TEXT        NOT NULL,
    request         TEXT        NOT NULL,
    respondent      TEXT        NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    holder          TEXT        NOT NULL,
    -- dispatch's order state; 'queued' until its first step.
    state           TEXT        NOT NULL DEFAULT 'queued',
    concluded_by    TEXT        NOT NULL DEFAULT '',
    result          TEXT        NOT NULL DEFAULT '',
    -- A dissatisfied callback or a review request, not since answered by a
    -- satisfied callback.
    dissatisfied    BOOLEAN     NOT NULL DEFAULT false,
    -- The order revision of the last step applied (older news is ignored).
    revision        BIGINT      NOT NULL DEFAULT 0,
    -- The batch incident it belongs to, and whether its order leads it.
    incident_id     UUID,
    leads           BOOLEAN     NOT NULL DEFAULT false
);
CREATE INDEX matters_complainant ON matters (complainant_key, received_at DESC)
    WHERE complainant_key <> '';
CREATE INDEX matters_place ON matters (region, category, received_at DESC);

-- Batch incidents (批量投诉): one lead case whose work order handles all.
CREATE TABLE incidents (
    incident_id      UUID        PRIMARY KEY,
    lead_case_id     UUID        NOT NULL REFERENCES matters (case_id),
    lead_case_number TEXT        NOT NULL,
    region           TEXT        NOT NULL,
    category         TEXT        NOT NULL,
    size             INTEGER     NOT NULL,
    formed_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
