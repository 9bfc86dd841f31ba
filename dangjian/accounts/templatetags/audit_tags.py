"""Template filters for audit entries (see `accounts.audit_display`)."""

from django import template

from dangjian.accounts.audit_display import change_lines

register = template.Library()
register.filter("change_lines", change_lines)
