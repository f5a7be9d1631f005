"""The small checks that tell the type checker (and any caller) what the rules already guarantee:
they fail closed when the guarantee is missing rather than act for nobody."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from casework import access
from casework.api_kit import caller
from casework.forms import model_choices
from casework.models import Agency, User


def _api_request(user) -> Request:
    request = Request(RequestFactory().get("/api/me/"))
    request.user = user
    return request


def test_the_api_caller_is_the_signed_in_person():
    person = User(email="sam@example.gov.uk", full_name="Sam")
    assert caller(_api_request(person)) is person


def test_an_anonymous_api_caller_is_refused_not_treated_as_nobody():
    with pytest.raises(NotAuthenticated):
        caller(_api_request(AnonymousUser()))


def test_a_person_without_an_agency_has_no_agency_to_act_for():
    operator = User(email="operator@example.gov.uk", agency=None)
    with pytest.raises(Http404):
        access.agency_id_of(operator)
    with pytest.raises(Http404):
        access.agency_of(operator)


def test_a_persons_agency_is_read_without_a_query():
    # No database in this test: a query would fail it.
    agency = Agency(pk=7, name="Northshire Council", partnership="Northshire")
    person = User(email="sam@example.gov.uk", agency=agency)
    assert access.agency_id_of(person) == 7
    assert access.agency_of(person) is agency


class _Form(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    name = forms.CharField()


def test_model_choices_is_the_forms_own_copy_of_the_field():
    form = _Form()
    assert model_choices(form, "agency") is form.fields["agency"]
    assert model_choices(form, "agency") is not _Form.base_fields["agency"]


def test_model_choices_refuses_a_field_without_a_queryset():
    with pytest.raises(TypeError):
        model_choices(_Form(), "name")
