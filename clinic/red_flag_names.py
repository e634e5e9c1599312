"""The names Rasa's server and the action server share for red flags (#12).

RedFlagGuard (bot/components.py) puts a red flag happening now in a `red_flag` entity and one spoken of
as a risk, history, a reason or a what-if in a `red_flag_context` entity; the actions read them
(actions/safety.py picks the tier, actions/faq.py adds "if this is happening now, call 911"). domain.yml
lists both entities. A same-day sign's role is `urgent`.
"""

RED_FLAG_ENTITY = "red_flag"
# Its role says why the flag was set aside (risk, history, reason...), its group the flag's kind.
NOT_NOW_ENTITY = "red_flag_context"
URGENT = "urgent"
