"""What the streamed ledger sheets (组织生活, 党费) share: each is staged and parsed into typed
rows from its own cells alone, so it can be staged ahead (`imports.read_ahead`)."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

from dangjian.imports import staging as st
from dangjian.imports.registry import ImportContext
from dangjian.imports.streaming import StageWork, StreamingSheet
from dangjian.ledger import validation as v


class LedgerStream(StreamingSheet):
    staging_name: str  # the staging table is imp_stage_<name>

    def stage(self, path: Path, ctx: ImportContext, meter) -> st.StagedFile | None:
        return self._stage(path, ctx, meter, v.closed_years())

    def stage_ahead(self, path: Path, ctx: ImportContext) -> StageWork:
        closed = v.closed_years()  # read in the import's transaction, not the other connection
        return lambda side, meter: self._stage(path, side, meter, closed)

    def _stage(self, path: Path, ctx: ImportContext, meter, closed) -> st.StagedFile | None:
        staged = st.stage_csv(self.sheet, self.staging_name, path, self.columns, ctx, meter)
        if staged is not None:
            self.parse(staged, ctx, closed)
        return staged

    @abstractmethod
    def parse(self, staged: st.StagedFile, ctx: ImportContext, closed: frozenset[int]) -> None:
        """Typed rows of the staged cells in `staged.temp("g")`, those in the plain shape
        marked ok; drops the raw staging table. Reads nothing but the staged cells."""
