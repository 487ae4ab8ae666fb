from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.views.generic.list import MultipleObjectMixin

from . import pagecache


class FilteredListMixin(MultipleObjectMixin):
    """A list narrowed by a django-filter FilterSet.

    Invalid filter values (unknown choices, junk, overlong numbers) never reach the
    database: the page answers 400 with the form's messages and the unfiltered list.

    A request that chooses no filter (most do: every page of the unfiltered list) builds no
    FilterSet: its blank form, drawn, is kept as a fragment for the content version
    (``get_blank_form_fragment``). Building and drawing it cost about 2 ms of the activity
    list's 11 (its choices list two hundred alliances).
    """

    filterset_class = None

    def get_base_queryset(self):
        raise NotImplementedError

    def get_filterset_kwargs(self):
        return {}

    def get_blank_form_fragment(self):
        """The name of the drawn blank form's fragment (pagecache.fragment), or None: drawn
        on every request."""
        return None

    def get(self, request, *args, **kwargs):
        chosen = any(request.GET.get(name) for name in self.filterset_class.base_filters)
        name = None if chosen else self.get_blank_form_fragment()
        self.filterset, self.filter_invalid, self.blank_form = None, False, None
        if name is None:
            self.filterset = self.make_filterset(request.GET or None)
            self.filter_invalid = self.filterset.is_bound and not self.filterset.is_valid()
        else:
            self.blank_form = pagecache.fragment(name, self.draw_blank_form, request=request)
        response = super().get(request, *args, **kwargs)
        if self.filter_invalid:
            response.status_code = 400
        return response

    def make_filterset(self, data):
        return self.filterset_class(
            data, queryset=self.get_base_queryset(), **self.get_filterset_kwargs()
        )

    def draw_blank_form(self):
        form = self.make_filterset(None).form
        return render_to_string("includes/filter_fields.html", {"form": form})

    def get_queryset(self):
        if self.filterset is None:
            return self.get_base_queryset()
        return self.filterset.queryset if self.filter_invalid else self.filterset.qs

    @property
    def unfiltered(self):
        """Whether the page lists everything (no filter chosen, or only invalid ones)."""
        return (
            self.filterset is None
            or not self.filterset.is_bound
            or self.filter_invalid
            or not any(self.filterset.form.cleaned_data.values())
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset,
            filter_invalid=self.filter_invalid,
            blank_filter_form=self.blank_form,
            **kwargs,
        )


def in_order(rows, ids):
    """The rows with these primary keys, in the order of ``ids``: from a queryset, or from a
    function of the ids (a ``Precompiled`` query that takes them as ``ids``)."""
    ids = list(ids)
    if isinstance(rows, QuerySet):
        found = rows.in_bulk(ids)
    else:
        found = {row.pk: row for row in rows(ids=ids)} if ids else {}
    return [found[pk] for pk in ids if pk in found]


class FromNearerEndPaginator(Paginator):
    """Pages of an ordered queryset, each fetched from the nearer end of the list: past the
    middle the order is reversed and the page counted from the end. An index is walked
    backwards as cheaply as forwards, so the last page walks no further than the first and
    no page walks more than half of the list."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom <= self.count - top:
            return self._get_page(self.object_list[bottom:top], number, self)
        backwards = self.object_list.reverse()[self.count - top : self.count - bottom]
        return self._get_page(list(backwards)[::-1], number, self)


class PagedByIdMixin(MultipleObjectMixin):
    """A long list paged through the ids of its rows, then the page's rows loaded by id.

    The query that skips rows reads nothing but the ids of ``get_queryset()`` (filtered and
    ordered), from the nearer end of the list: with an index that gives the order and holds
    the columns the filter reads, an index-only walk of at most half the list, so page 2500
    costs about what page 1 costs. What the page shows (joins, sums, prefetches) comes from
    ``get_page_queryset()``, for its twenty rows only; a sum over the rows a page skips would
    be paid on every deep page. It may also return a function of the ids (see ``in_order``).
    """

    paginator_class = FromNearerEndPaginator

    def get_page_queryset(self):
        raise NotImplementedError

    def get_count_fragment(self):
        """A name under which the length of the list is kept for the content version
        (pagecache.fragment) when it is the same for every reader; None: count it now.
        Counting tens of thousands of rows costs more than the rest of the page."""
        return None

    def get_paginator(self, queryset, *args, **kwargs):
        paginator = super().get_paginator(queryset, *args, **kwargs)
        name = self.get_count_fragment()
        if name is not None:
            paginator.count = pagecache.fragment(name, queryset.count, request=self.request)
        return paginator

    def paginate_queryset(self, queryset, page_size):
        paginator, page, ids, is_paginated = super().paginate_queryset(
            queryset.values_list("pk", flat=True), page_size
        )
        page.object_list = in_order(self.get_page_queryset(), ids)
        return paginator, page, page.object_list, is_paginated


class IdsFirstPaginator(FromNearerEndPaginator):
    """``FromNearerEndPaginator`` over the ids only, then the page's rows loaded by id with
    whatever the queryset joins and sums: for the admin's long changelists
    (``ModelAdmin.paginator``), which cannot split the two querysets as ``PagedByIdMixin``
    does."""

    def page(self, number):
        rows = self.object_list
        self.object_list = rows.values_list("pk", flat=True)
        try:
            page = super().page(number)
        finally:
            self.object_list = rows
        page.object_list = in_order(rows, page.object_list)
        return page
