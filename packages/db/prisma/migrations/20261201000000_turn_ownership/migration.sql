-- The BullMQ job that runs a session's turns while it is processing. A late or duplicate turn job
-- finds the session taken and leaves it to the running one; the owner is cleared, under the
-- session's row lock, in the same transaction that makes the session idle.
ALTER TABLE "sessions" ADD COLUMN "turn_job_id" TEXT;
