from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin_pages import DeletePageQueriesMixin
from accounts.forms import pk_or_none
from applications import services as application_services
from mentorship.models import Cycle

from . import services
from .models import Exclusion, MatchRun, MenteePreference, Proposal, Unmatched


class ProposeForm(forms.Form):
    cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.all(),
        label="Cycle",
        empty_label="Choose a cycle",
        error_messages={"required": "Choose the cycle to propose matches for."},
    )


class SwapForm(forms.Form):
    mentor = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": "Choose a mentor.", "invalid": "Choose a mentor."},
    )


# What staff may do from the run page, and the service each one calls.
RUN_ACTIONS = {"lock", "unlock", "remove", "accept", "accept_all", "rerun", "waitlist"}


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "created_by",
        "mentees",
        "matched",
        "total_score",
        "optimal",
        "accepted",
    ]
    list_filter = ["cycle"]
    list_select_related = ["cycle", "created_by"]
    show_full_result_count = False
    change_list_template = "admin/matching/matchrun/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                accepted_count=Count(
                    "proposals", filter=Q(proposals__status=Proposal.Status.ACCEPTED)
                )
            )
        )

    @admin.display(description="accepted", ordering="accepted_count")
    def accepted(self, run):
        return run.accepted_count

    def has_add_permission(self, request):
        # Runs are made by "Propose matches", never typed in.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("propose/", wrap(self.propose_view), name="matching_matchrun_propose"),
            path("<int:pk>/act/", wrap(self.act_view), name="matching_matchrun_act"),
            path(
                "<int:pk>/proposals/<int:proposal_pk>/swap/",
                wrap(self.swap_view),
                name="matching_matchrun_swap",
            ),
            *super().get_urls(),
        ]

    def _require_change(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

    def propose_view(self, request):
        self._require_change(request)
        form = ProposeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = services.match_run_create(
                cycle=form.cleaned_data["cycle"], actor=request.user
            )
            self.message_user(
                request,
                f"Proposed {run.matched} pair(s) for {run.mentees} mentee(s)"
                f"{', proven optimal' if run.optimal else ''}. Nothing is applied "
                "until you accept.",
                messages.SUCCESS,
            )
            return redirect("admin:matching_matchrun_change", run.pk)
        return TemplateResponse(
            request,
            "admin/matching/matchrun/propose.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Propose matches",
                "form": form,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        run = get_object_or_404(
            MatchRun.objects.select_related("cycle", "created_by"), pk=object_id
        )
        proposals = list(
            run.proposals.select_related(
                "application__applicant", "mentor__user", "pairing"
            ).order_by("status", "-locked", "-score", "pk")
        )
        unmatched = list(
            run.unmatched.select_related("application__applicant").order_by(
                "application__applicant__full_name", "pk"
            )
        )
        return TemplateResponse(
            request,
            "admin/matching/matchrun/run.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": str(run),
                "run": run,
                "proposals": proposals,
                "live": [p for p in proposals if p.status == Proposal.Status.PROPOSED],
                "unmatched": unmatched,
                "can_change": self.has_change_permission(request),
            },
        )

    def act_view(self, request, pk):
        self._require_change(request)
        run = get_object_or_404(MatchRun.objects.select_related("cycle"), pk=pk)
        action = request.POST.get("action", "")
        if request.method != "POST" or action not in RUN_ACTIONS:
            return redirect("admin:matching_matchrun_change", run.pk)
        target = request.POST.get("target", "")
        try:
            done = self._act(request, run, action, target)
        except (
            services.MatchingError,
            application_services.ApplicationError,
        ) as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:matching_matchrun_change", run.pk)
        if isinstance(done, MatchRun):
            return redirect("admin:matching_matchrun_change", done.pk)
        if isinstance(done, TemplateResponse):
            return done
        self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:matching_matchrun_change", run.pk)

    def _act(self, request, run, action, target):
        if action == "rerun":
            new = services.match_run_create(
                cycle=run.cycle, actor=request.user, previous=run
            )
            self.message_user(
                request,
                f"Re-ran with {new.proposals.filter(locked=True).count()} locked "
                f"pair(s) kept: {new.matched} pair(s) proposed.",
                messages.SUCCESS,
            )
            return new
        if action == "accept_all":
            live = run.proposals.filter(status=Proposal.Status.PROPOSED)
            if request.POST.get("confirm") != "yes":
                return TemplateResponse(
                    request,
                    "admin/matching/matchrun/accept_all.html",
                    {
                        **self.admin_site.each_context(request),
                        "opts": self.model._meta,
                        "title": "Accept all proposed pairs: confirm",
                        "run": run,
                        "proposals": live.select_related(
                            "application__applicant", "mentor__user"
                        ),
                    },
                )
            ids = list(live.values_list("pk", flat=True))
            pairings = services.proposals_accept(proposal_ids=ids, actor=request.user)
            return (
                f"Accepted {len(pairings)} pair(s); each mentor and mentee is "
                "asked by email to accept."
            )
        if action == "waitlist":
            entry = get_object_or_404(Unmatched, pk=_pk(target), run=run)
            application_services.application_wait_for_mentor(
                application_id=entry.application_id, actor=request.user
            )
            return (
                f"{entry.application.applicant} is on the waitlist for a mentor "
                "and was told by email."
            )
        proposal = get_object_or_404(Proposal, pk=_pk(target), run=run)
        if action in ("lock", "unlock"):
            services.proposal_set_locked(
                proposal_id=proposal.pk, locked=action == "lock"
            )
            return f"{'Locked' if action == 'lock' else 'Unlocked'}: {proposal}."
        if action == "remove":
            services.proposal_remove(proposal_id=proposal.pk)
            return f"Removed: {proposal}. Re-run to propose for the mentee again."
        services.proposals_accept(proposal_ids=[proposal.pk], actor=request.user)
        return f"Accepted: {proposal}. Both are asked by email to accept."

    def swap_view(self, request, pk, proposal_pk):
        self._require_change(request)
        proposal = get_object_or_404(
            Proposal.objects.select_related(
                "run__cycle", "application__applicant", "mentor__user"
            ),
            pk=proposal_pk,
            run_id=pk,
        )
        form = SwapForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.proposal_swap(
                    proposal_id=proposal.pk,
                    mentor_id=form.cleaned_data["mentor"],
                    actor=request.user,
                )
            except services.MatchingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, "Mentor swapped.", messages.SUCCESS)
                return redirect("admin:matching_matchrun_change", pk)
        ranking, profiles, room = services.swap_options(proposal)
        return TemplateResponse(
            request,
            "admin/matching/matchrun/swap.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Another mentor for {proposal.application.applicant}",
                "proposal": proposal,
                "eligible": [
                    (profiles[mentor_id], points, room[mentor_id])
                    for mentor_id, points in ranking.eligible
                ],
                "ineligible": [
                    (profiles[mentor_id], reason)
                    for mentor_id, reason in ranking.ineligible
                ],
                "run_url": reverse("admin:matching_matchrun_change", args=[pk]),
            },
        )


def _pk(value: str) -> int:
    return pk_or_none(value) or 0


@admin.register(Exclusion)
class ExclusionAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    list_display = ["mentee", "mentor", "note", "created_by", "created_at"]
    list_select_related = ["mentee", "mentor", "created_by"]
    search_fields = [
        "mentee__email",
        "mentee__full_name",
        "mentor__email",
        "mentor__full_name",
    ]
    autocomplete_fields = ["mentee", "mentor"]
    fields = ["mentee", "mentor", "note"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["note"].help_text = (
            "Why, for the staff who come after you. Each of the two may read it "
            "in the copy of their data they can ask for."
        )
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MenteePreference)
class MenteePreferenceAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    list_display = ["application", "rank", "mentor", "created_at"]
    list_select_related = [
        "application__applicant",
        "application__cycle",
        "mentor__user",
    ]
    list_filter = ["application__cycle", "rank"]
    search_fields = ["application__applicant__email", "mentor__user__email"]

    def has_add_permission(self, request):
        # Mentees rank mentors themselves.
        return False

    def has_change_permission(self, request, obj=None):
        return False
