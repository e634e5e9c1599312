"""How the action server asks Rasa's tracker store to delete what a patient asked us not to keep.

An action sets the `forget` slot (declared in domain.yml) to one of the two values below; the tracker
store (bot/tracker_store.py) deletes accordingly when it saves that turn. Both sides read the names here.
"""

FORGET_SLOT = "forget"
FORM = "form"  # a stopped or declined form: what was typed for it
CONVERSATION = "conversation"  # the whole conversation
