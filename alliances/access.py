"""Who may keep which alliance's records: one place, used by the workspace and the admin.

Committee staff (机关工委, the ``decide_membership`` permission) keep every alliance; a
secretary keeps the alliances that name them in ``Alliance.secretaries``; nobody else any.
"""

from .models import Alliance

COMMITTEE_PERMISSION = "alliances.decide_membership"


def is_committee(user):
    return user.is_active and user.has_perm(COMMITTEE_PERMISSION)


def kept_alliances(user):
    """The alliances whose records ``user`` may see and change."""
    if not user.is_authenticated or not user.is_active:
        return Alliance.objects.none()
    kept = Alliance.objects.exclude(status=Alliance.Status.REJECTED)
    return kept if is_committee(user) else kept.filter(secretaries=user)
