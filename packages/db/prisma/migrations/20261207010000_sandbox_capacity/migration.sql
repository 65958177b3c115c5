-- Sandbox capacity: the ledger of live sandboxes the workspace and worker caps count, and the FIFO
-- of turns waiting for one.
CREATE TYPE "sandbox_slot_state" AS ENUM ('live', 'evicting');

CREATE TABLE "sandbox_slots" (
    "session_id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "worker_id" TEXT NOT NULL,
    "state" "sandbox_slot_state" NOT NULL DEFAULT 'live',
    "last_used_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_slots_pkey" PRIMARY KEY ("session_id")
);

CREATE TABLE "sandbox_waiters" (
    "session_id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "worker_id" TEXT NOT NULL,
    "ticket" BIGSERIAL NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sandbox_waiters_pkey" PRIMARY KEY ("session_id")
);

CREATE INDEX "sandbox_slots_workspace_id_last_used_at_idx" ON "sandbox_slots"("workspace_id", "last_used_at");
CREATE INDEX "sandbox_slots_worker_id_idx" ON "sandbox_slots"("worker_id");
CREATE INDEX "sandbox_waiters_workspace_id_ticket_idx" ON "sandbox_waiters"("workspace_id", "ticket");
CREATE INDEX "sandbox_waiters_worker_id_ticket_idx" ON "sandbox_waiters"("worker_id", "ticket");

ALTER TABLE "sandbox_slots" ADD CONSTRAINT "sandbox_slots_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sandbox_waiters" ADD CONSTRAINT "sandbox_waiters_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
