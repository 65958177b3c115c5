-- This deployment's identity: one row, written by the first worker to start. Local sandboxes live in
-- a directory named after it and record it as their owner, so two deployments on one host (each with
-- its own database) never take each other's sandboxes for orphans.
CREATE TABLE "deployment" (
    "singleton" BOOLEAN NOT NULL DEFAULT true,
    "id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("singleton"),
    CONSTRAINT "deployment_singleton" CHECK ("singleton")
);
