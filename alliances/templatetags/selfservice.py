"""The workspace home's self-service part, kept out of the home view (issue 16)."""

from django import template

from ..workspace_selfservice import home_todo

register = template.Library()


@register.inclusion_tag("workspace/application_todo.html", takes_context=True)
def selfservice_todo(context):
    """Committee staff: how many applications wait; a secretary: what was filed and decided."""
    return home_todo(context["user"])
