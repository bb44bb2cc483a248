"""Background jobs: a transactional outbox relayed to Celery."""
