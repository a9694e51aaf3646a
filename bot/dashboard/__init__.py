"""The team dashboard: a Telegram Mini App (and a TV mode) served by the bot's web server."""
