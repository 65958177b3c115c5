-- Who holds an in-flight Idempotency-Key claim: a request that outlived its lease may be taken
-- over by a retry, and the old holder's late completion must then not overwrite the new one's.
ALTER TABLE "idempotency_keys" ADD COLUMN "claim_token" TEXT;
