"""Messages the bot sends on its own (celebrations, reminders, weekly reports): facts from the
services, rendered by the views, queued in the outbox in the caller's unit of work."""
