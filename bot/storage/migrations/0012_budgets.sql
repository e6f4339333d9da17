-- Money budgets. `cost`: what a job is estimated to cost on the Tencent bill, from the
-- price list at admission (NULL: its model has no price, or the job is older), so a
-- server's spend over a day or a month is summed by the database.
ALTER TABLE jobs ADD COLUMN cost REAL;
-- A server's spend: accepted jobs in a period (a task MPS reports failed is not billed).
CREATE INDEX jobs_spend ON jobs(guild_id, submitted_at, cost, mps_status)
    WHERE submitted_at IS NOT NULL;
-- A budget's 80 % warning, once per budget and period: written in the transaction that
-- admits the job crossing it, claimed (`posted_at`) before it is posted, so a restart
-- never posts it twice.
CREATE TABLE budget_alerts (
    guild_id INTEGER NOT NULL,
    budget TEXT NOT NULL,
    period_start REAL NOT NULL,
    period_end REAL NOT NULL,
    amount REAL NOT NULL,
    spent REAL NOT NULL,
    created_at REAL NOT NULL,
    posted_at REAL,
    PRIMARY KEY (guild_id, budget, period_start)
);
CREATE INDEX budget_alerts_due ON budget_alerts(guild_id) WHERE posted_at IS NULL;
-- Statistics for the planner, so the spend is read from `jobs_spend` from the first ask.
ANALYZE jobs;
