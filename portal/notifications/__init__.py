"""E-mail that is never lost (an outbox of messages delivered by Celery with retries), the in-portal notification
list, each user's choice of instant or daily-digest e-mail, and the reminders sent once by Celery beat."""
