from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .forms import ProfileForm
from .models import DataExport, DeletionRequest


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your details are saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            # Copies past their time are of no use; failed ones say to ask again.
            "exports": request.user.data_exports.exclude(
                status=DataExport.Status.EXPIRED
            )[:3],
            "export_days": DataExport.LIFETIME.days,
            "deletion_request": request.user.deletion_requests.filter(
                status=DeletionRequest.Status.PENDING
            ).first(),
        },
    )
