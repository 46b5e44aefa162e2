"""The product's retrieval as a langchain retriever, for other langchain apps of the commune.

    from retriever.langchain import TthcRetriever
    docs = TthcRetriever(searcher=engine, k=5).invoke("lệ phí đăng ký khai sinh")
    docs[0].page_content, docs[0].metadata["source"], docs[0].metadata["section"]

Each `Document` is one passage; its metadata is the API's citation object (`n`, `doc_id`,
`title`, `source`, `kind`, `section`, `page`, `score`, `commune`, `year`) without the text.
"""

from __future__ import annotations

from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retriever.search import Filters, Hit


class Searchable(Protocol):
    """A `retriever.search.Searcher`, or the `service.engine.Engine` (which follows re-indexing)."""

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid"
    ) -> list[Hit]: ...


class TthcRetriever(BaseRetriever):
    """Hybrid search over the indexed plans and procedures, as langchain `Document`s."""

    searcher: Any  # a Searchable; pydantic cannot check a Protocol (BaseRetriever allows any type)
    k: int = 5
    filters: Filters | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.searcher.search(query, k=self.k, filters=self.filters, mode=self.mode)
        documents = []
        for n, hit in enumerate(hits, start=1):
            citation = hit.citation(n)
            text = citation.pop("text")
            documents.append(Document(page_content=text, metadata=citation, id=hit.chunk.id))
        return documents
