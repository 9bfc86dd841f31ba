"""`field__any_of=[...]`: membership in a long list of values as one parameter.

Django's `__in` sends a placeholder per value; with the thousands of ID hashes an import looks up
per batch, building and binding those lists cost a good part of the look-up (a city's streamed
re-import: 7 of its 37 s). On PostgreSQL `__any_of` is `column = ANY(%s)` with the list as one
array parameter; elsewhere it is the same IN list as `__in`. An empty list matches nothing.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup  # foreign keys keep lookups of their own: ids, here
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False  # the values go to the driver as they are (ints, text)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
