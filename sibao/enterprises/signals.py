"""Signals other apps listen to, so the registry never has to know them."""

from django.dispatch import Signal

# Sent by the registry's services after an enterprise's stored facts changed, inside the transaction.
# Arguments: enterprise, changes ({field: [old, new]}), actor.
enterprise_changed = Signal()
