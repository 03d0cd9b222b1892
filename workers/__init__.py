"""Background work on RQ: queues, the worker and the cron scheduler."""
