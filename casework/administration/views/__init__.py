"""The partnership administrator's pages, under /administration/. Thin: parse input, check access,
call a service, render.

Anyone who is not a partnership administrator gets the same 404 as a missing page; an agency,
team, person or service account of another partnership is the same 404 too (casework.access).
NotAllowed (their own roles, say) is the 403 page and InvalidTransition the 409 page, both from
DomainErrorMiddleware.

One module per part of the partnership: agencies (and teams), people, service_accounts (and API
tokens), background (the outbox); common holds what they share and the start page. urls.py names
each page from its module.
"""
