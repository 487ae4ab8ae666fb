from django.apps import AppConfig


class AlliancesConfig(AppConfig):
    name = "alliances"
    verbose_name = "党建联盟"

    def ready(self):
        from portal import pagecache

        from . import models

        pagecache.watch(
            models.Building,
            models.Branch,
            models.Alliance,
            models.AllianceRule,
            models.Membership,
            models.RotationSlot,
            models.JointMeeting,
            models.Activity,
            models.Attendance,
            models.Photo,
            models.PublicVersion,
            models.PublicPhoto,
            models.Facility,
            models.Showcase,  # the 经验推广 block of the alliances section
            models.Booking,  # the rooms' public weeks (alliances.rooms)
        )
