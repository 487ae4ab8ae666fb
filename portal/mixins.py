from django.views.generic.list import MultipleObjectMixin


class FilteredListMixin(MultipleObjectMixin):
    """A list narrowed by a django-filter FilterSet.

    Invalid filter values (unknown choices, junk, overlong numbers) never reach the
    database: the page answers 400 with the form's messages and the unfiltered list.
    """

    filterset_class = None

    def get_base_queryset(self):
        raise NotImplementedError

    def get_filterset_kwargs(self):
        return {}

    def get(self, request, *args, **kwargs):
        self.filterset = self.filterset_class(
            request.GET or None, queryset=self.get_base_queryset(), **self.get_filterset_kwargs()
        )
        self.filter_invalid = self.filterset.is_bound and not self.filterset.is_valid()
        response = super().get(request, *args, **kwargs)
        if self.filter_invalid:
            response.status_code = 400
        return response

    def get_queryset(self):
        return self.filterset.queryset if self.filter_invalid else self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset, filter_invalid=self.filter_invalid, **kwargs
        )
