from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest

from laowu.audit.services import Action, record
from laowu.enterprises.models import Enterprise
from laowu.review.services import WorkflowError, ensure_editable

from .models import CATALOGUE_FIELDS, CatalogueContract, ProjectFiling, available_catalogue


def _offered(enterprise: Enterprise, catalogue_id: Any) -> CatalogueContract:
    # A forged id (another enterprise's contract, or one already filed) reads as missing.
    try:
        return available_catalogue(enterprise.credit_code).get(pk=catalogue_id)
    except (CatalogueContract.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _copy(filing: ProjectFiling, contract: CatalogueContract) -> None:
    filing.catalogue = contract
    for name in CATALOGUE_FIELDS:
        setattr(filing, name, getattr(contract, name))


def select_contract(
    *,
    enterprise: Enterprise,
    catalogue_id: Any,
    actor: Any,
    filing: ProjectFiling | None = None,
    request: HttpRequest | None = None,
) -> ProjectFiling:
    """选择: start a filing from a catalogue contract (or switch a draft to another one)."""
    contract = _offered(enterprise, catalogue_id)
    try:
        with transaction.atomic(durable=True):
            if filing is None:
                filing = ProjectFiling(enterprise=enterprise)
            else:
                filing = ProjectFiling.objects.select_for_update().get(pk=filing.pk, enterprise=enterprise)
                ensure_editable(filing)
                if filing.approved_submission_id:
                    raise WorkflowError("已审核通过的项目不能更换合同。")
            _copy(filing, contract)
            filing.save()
            record(
                action=Action.FILING_SAVE,
                request=request,
                user=actor,
                obj=filing,
                detail={"selected": contract.contract_no},
            )
    except IntegrityError:
        raise ValidationError("该合同刚刚已被申报，请重新选择。") from None
    return filing
