"""The claim-check store without a server: whole values or nothing, checked on the way back, pruned only
when no execution can ask for them."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, update
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    StorageDriverActivityInfo,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)
from temporalio.exceptions import ApplicationError

from wfb_jupyter.cli import main as wfb
from wfb_jupyter.payloads import (
    DatabasePayloadStore,
    FolderPayloadStore,
    PayloadCache,
    PayloadMissingError,
    PayloadStoreDriver,
    PayloadStoreError,
    in_memory_data_converter,
    payload_store,
    prune_payloads,
)
from wfb_jupyter.settings import PayloadSettings, SettingsError, WfbSettings
from wfb_jupyter.storage import (
    ExecutionRecord,
    PayloadUse,
    StoredPayload,
    create_storage_engine,
    get_or_create_project,
    get_or_create_user,
    get_or_create_workflow,
    list_payloads,
    read_scope,
    session_scope,
    upgrade_database,
    utc_now,
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    engine = create_storage_engine(database_url)
    yield engine
    engine.dispose()


def store_context(workflow_id: str | None) -> StorageDriverStoreContext:
    return StorageDriverStoreContext(
        target=StorageDriverWorkflowInfo(namespace="default", id=workflow_id)
    )


def payload(size: int, fill: int = 7) -> Payload:
    return Payload(
        metadata={"encoding": b"binary/wfb-bundle", "wfb-summary": b"pandas.DataFrame 9 rows"},
        data=bytes([fill]) * size,
    )


def comes_back_whole(driver: PayloadStoreDriver, value: Payload, workflow_id: str) -> bool:
    async def go() -> bool:
        [claim] = await driver.store(store_context(workflow_id), [value])
        [back] = await driver.retrieve(StorageDriverRetrieveContext(), [claim])
        # Compared here: asyncio.run takes seconds to hand back a task result holding 20 MB of protobuf.
        return back == value

    return asyncio.run(go())


class TestStores:
    @pytest.mark.parametrize("where", ["database", "folder"])
    def test_a_value_is_stored_once_and_comes_back_whole(
        self, engine: Engine, tmp_path: Path, where: str
    ) -> None:
        store = (
            DatabasePayloadStore(engine)
            if where == "database"
            else FolderPayloadStore(tmp_path / "payloads", engine)
        )
        driver = PayloadStoreDriver(store, PayloadCache(0))  # no cache: every read hits the store
        big = payload(20 * 1024 * 1024 + 3)  # three database parts
        claim = asyncio.run(driver.store(store_context("wf-a"), [big]))[0]
        key = hashlib.sha256(big.SerializeToString()).hexdigest()
        assert dict(claim.claim_data) == {
            "key": key,
            "type": "pandas.DataFrame 9 rows",
            "size": "20.0 MiB",
            "bytes": str(big.ByteSize()),
            "store": "database" if where == "database" else f"folder {tmp_path / 'payloads'}",
        }
        assert comes_back_whole(driver, big, "wf-a")
        assert comes_back_whole(driver, big, "wf-b")  # another execution, the same bytes
        with read_scope(engine) as session:
            [entry] = list_payloads(session)
            uses = {use.temporal_workflow_id for use in session.query(PayloadUse)}
        assert (entry.key, entry.size, entry.kind) == (
            key,
            big.ByteSize(),
            "pandas.DataFrame 9 rows",
        )
        assert uses == {"wf-a", "wf-b"}

    def test_damaged_bytes_are_refused(self, engine: Engine, tmp_path: Path) -> None:
        store = FolderPayloadStore(tmp_path, engine)
        driver = PayloadStoreDriver(store, PayloadCache(0))
        [claim] = asyncio.run(driver.store(store_context("wf"), [payload(100)]))
        path = store.path_of(claim.claim_data["key"])
        path.write_bytes(path.read_bytes()[:-1])  # as a copy cut short would leave it
        with pytest.raises(PayloadStoreError, match="is damaged"):
            asyncio.run(driver.retrieve(StorageDriverRetrieveContext(), [claim]))

    def test_a_missing_value_says_what_it_was(self, engine: Engine) -> None:
        driver = PayloadStoreDriver(DatabasePayloadStore(engine), PayloadCache(0))
        claim = StorageDriverClaim(
            claim_data={"key": "ab" * 32, "type": "pandas.DataFrame 3 rows", "size": "1.0 MiB"}
        )
        with pytest.raises(PayloadMissingError) as raised:
            asyncio.run(driver.retrieve(StorageDriverRetrieveContext(), [claim]))
        assert str(raised.value).startswith(
            "the stored value abababababababab (pandas.DataFrame 3 rows, 1.0 MiB) is not in the "
            "payload store (database); it was pruned"
        )

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
    def test_an_unwritable_folder_fails_clearly_and_references_nothing(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        try:
            driver = PayloadStoreDriver(FolderPayloadStore(folder, engine), PayloadCache(0))
            with pytest.raises(PayloadStoreError, match="cannot be written"):
                asyncio.run(driver.store(store_context("wf"), [payload(100)]))
        finally:
            folder.chmod(0o700)
        with read_scope(engine) as session:
            assert list_payloads(session) == []

    def test_a_folder_that_is_a_file_fails_clearly_and_references_nothing(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        driver = PayloadStoreDriver(FolderPayloadStore(blocker, engine), PayloadCache(0))
        with pytest.raises(PayloadStoreError) as raised:
            asyncio.run(driver.store(store_context("wf"), [payload(100)]))
        assert str(raised.value) == (
            "could not store a value of 173 bytes (pandas.DataFrame 9 rows) in the payload folder "
            f"{blocker}: Not a directory"
        )
        with read_scope(engine) as session:
            assert list_payloads(session) == []
        assert not list(tmp_path.glob("**/*.partial"))

    def test_the_setting_chooses_the_store(self, engine: Engine, tmp_path: Path) -> None:
        assert isinstance(payload_store(PayloadSettings(), engine), DatabasePayloadStore)
        folder = payload_store(PayloadSettings(store=f"file://{tmp_path}"), engine)
        assert isinstance(folder, FolderPayloadStore) and folder.location == str(tmp_path)
        with pytest.raises(SettingsError, match="mount its bucket as a folder"):
            payload_store(PayloadSettings(store="s3://bucket/prefix"), engine)


class TestSettings:
    def test_sizes_from_the_environment(self) -> None:
        settings = WfbSettings(
            environment={"WFB_PAYLOAD_THRESHOLD": "64KiB", "WFB_PAYLOAD_MAX_BYTES": "2GB"}
        ).resolve()
        assert (settings.payloads.threshold, settings.payloads.max_bytes) == (65536, 2_000_000_000)
        assert settings.payloads.environment()["WFB_PAYLOAD_THRESHOLD"] == "65536"

    @pytest.mark.parametrize(
        ("environment", "words"),
        [
            ({"WFB_PAYLOAD_THRESHOLD": "3MB"}, "it must be from 1,024 to 1,500,000"),
            ({"WFB_PAYLOAD_MAX_BYTES": "1KB"}, "must be at least payload_threshold"),
            ({"WFB_PAYLOAD_THRESHOLD": "lots"}, "is not a size (e.g. 256KiB, 1GB)"),
        ],
    )
    def test_sizes_that_cannot_work_are_refused(
        self, environment: dict[str, str], words: str
    ) -> None:
        with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace(")", r"\)")):
            WfbSettings(environment=environment).resolve()


class TestPrune:
    def execution(
        self, engine: Engine, workflow_id: str, status: str, closed_days_ago: float
    ) -> None:
        with session_scope(engine) as session:
            user = get_or_create_user(session, "pruner")
            project = get_or_create_project(session, user.id, "p")
            workflow = get_or_create_workflow(session, project.id, "orders")
            closed = utc_now() - timedelta(days=closed_days_ago) if status != "running" else None
            session.add(
                ExecutionRecord(
                    workflow_id=workflow.id,
                    version=1,
                    temporal_workflow_id=workflow_id,
                    temporal_run_id="r",
                    status=status,
                    closed_at=closed,
                )
            )

    def stored(self, driver: PayloadStoreDriver, fill: int, workflow_id: str) -> str:
        [claim] = asyncio.run(driver.store(store_context(workflow_id), [payload(64, fill)]))
        return claim.claim_data["key"]

    def age_everything(self, engine: Engine, days: float) -> None:
        with session_scope(engine) as session:
            session.execute(
                update(StoredPayload).values(last_used_at=utc_now() - timedelta(days=days))
            )

    def test_only_values_no_execution_needs_go(self, engine: Engine, tmp_path: Path) -> None:
        folder = FolderPayloadStore(tmp_path, engine)
        database = PayloadStoreDriver(DatabasePayloadStore(engine), PayloadCache(0))
        in_folder = PayloadStoreDriver(folder, PayloadCache(0))
        self.execution(engine, "old-done", "completed", closed_days_ago=40)
        self.execution(engine, "running", "running", closed_days_ago=0)
        self.execution(engine, "recent-done", "failed", closed_days_ago=2)
        gone = self.stored(database, 1, "old-done")
        gone_file = self.stored(in_folder, 2, "old-done")
        kept_running = self.stored(database, 3, "running")
        kept_recent = self.stored(database, 4, "recent-done")
        shared = self.stored(database, 5, "old-done")
        self.stored(database, 5, "running")  # also used by a running execution
        unrecorded = self.stored(database, 6, "not-recorded")
        self.age_everything(engine, days=35)
        assert prune_payloads(engine, timedelta(days=30), dry_run=True).payloads == 3
        result = prune_payloads(engine, timedelta(days=30))
        assert (result.payloads, result.bytes) == (3, 3 * payload(64).ByteSize())
        with read_scope(engine) as session:
            left = {entry.key for entry in list_payloads(session)}
        assert left == {kept_running, kept_recent, shared}
        assert gone not in left and unrecorded not in left
        assert not folder.path_of(gone_file).exists()

    def test_a_value_used_recently_stays(self, engine: Engine) -> None:
        driver = PayloadStoreDriver(DatabasePayloadStore(engine), PayloadCache(0))
        self.execution(engine, "old-done", "completed", closed_days_ago=40)
        self.stored(driver, 1, "old-done")
        assert prune_payloads(engine, timedelta(days=30)).payloads == 0

    def test_wfb_db_prune_takes_the_values_of_old_executions_too(
        self, engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        driver = PayloadStoreDriver(DatabasePayloadStore(engine), PayloadCache(0))
        self.execution(engine, "old-done", "completed", closed_days_ago=40)
        self.execution(engine, "running", "running", closed_days_ago=0)
        self.stored(driver, 1, "old-done")
        kept = self.stored(driver, 2, "running")
        self.age_everything(engine, days=35)
        assert wfb(["db", "prune", "--older-than", "30d", "--dry-run", "--url", database_url]) == 0
        assert "Would remove 1 stored value(s)" in capsys.readouterr().out
        assert wfb(["db", "prune", "--older-than", "30d", "--url", database_url]) == 0
        assert "Removed 1 stored value(s)" in capsys.readouterr().out
        with read_scope(engine) as session:
            assert {entry.key for entry in list_payloads(session)} == {kept}


class TestInMemory:
    """A test run's converter: values pass as in a real run, the large ones kept in memory, none listed."""

    def test_a_large_frame_goes_by_reference_and_comes_back(self) -> None:
        converter = in_memory_data_converter(PayloadSettings())
        frame = pd.DataFrame({"amount": np.arange(50_000) * 0.5})
        [reference] = asyncio.run(converter.encode([frame]))
        assert reference.ByteSize() < 2_000  # the claim, not the frame
        [back] = asyncio.run(converter.decode([reference]))
        pd.testing.assert_frame_equal(back, frame)
        # Another run's converter has its own memory: nothing leaks from one test run to the next.
        with pytest.raises(PayloadMissingError, match=r"payload store \(memory\)"):
            asyncio.run(in_memory_data_converter(PayloadSettings()).decode([reference]))

    def test_the_step_is_still_named_once_the_sdk_binds_a_store_context(self) -> None:
        step = ActivitySerializationContext(
            namespace="default",
            activity_id="load",
            activity_type="load_orders.v1",
            activity_task_queue="q",
            workflow_id="wf-1",
            workflow_type="orders.v1",
            is_local=False,
        )
        store = StorageDriverStoreContext(target=StorageDriverActivityInfo(namespace="default"))
        # What workers and clients call before converting (SDK-private): it copies the converter.
        bound = in_memory_data_converter(PayloadSettings())._with_contexts(step, store)
        with pytest.raises(ApplicationError) as raised:
            bound.payload_converter.to_payloads([collections.deque()])
        assert raised.value.message.startswith("the result of step 'load'")
