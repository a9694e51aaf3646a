"""The tests run aiogram as production does: its types built on first use (bot.lazy_models)."""

from bot.lazy_models import defer_model_builds

defer_model_builds()
