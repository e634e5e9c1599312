"""The shared core: what every process of the assistant needs and nothing process-specific.

Rasa's server (bot/), the action server (actions/) and the staff API (api/) each import this package;
it imports none of them. Settings parsing, the clinic's facts and content with their placeholders,
the sliding-window limiter and the outbox's schema live here, each in one place.
"""
