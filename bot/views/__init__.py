"""Everything a person sees, rendered from facts: texts, captions, keyboards, chart labels.

One module per feature; texts come from the locale files (bot/texts.py) and every message
stays within Telegram's limits. Services never import this package.
"""
