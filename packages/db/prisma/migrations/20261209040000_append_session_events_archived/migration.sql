-- An archived session takes no events, whoever asks: append_session_events answers 'archived' and
-- writes nothing. Until now only a caller that passed p_expect_* (the API's send) was stopped by the
-- archive; a call without it (any other writer, or anyone calling the function directly) stored events
-- in the archived session, took its queued messages, moved its status and counted usage.
--
-- The function as in 20261208030000_append_session_events, with the 'archived' outcome checked under the
-- row lock after 'stale' (so a caller that states what it saw still learns that the session changed).
-- Nothing is written unless every check passes; the outcome says which one did not:
--   not_found  no such session (in p_workspace_id, when given)
--   taken      p_owner is given and another turn job owns the session
--   stale      the session is no longer as the caller saw it (p_expect_*: its status, whether archived,
--              and no event of p_quiet_types after p_quiet_after_seq)
--   archived   the session is archived
--   refused    the session's status table (session-status.ts) does not allow the transition from its status
--   appended   done
-- A transition is {"name", "from": [statuses], "to": status, "release_owner": bool}, from that table.
-- p_transition_if_queued replaces p_transition when user.message events remain unprocessed after the
-- ones taken by p_consume_ids (a turn that ends with messages queued goes on).
CREATE OR REPLACE FUNCTION append_session_events(
  p_session_id text,
  p_workspace_id text,
  -- [{id, type, turn_id, dedupe_key, payload, processed}], in order
  p_events jsonb,
  -- The new events' created_at (and processed_at), ISO 8601 as the API shows it
  p_now text,
  p_owner text DEFAULT NULL,
  p_expect_status session_status DEFAULT NULL,
  p_expect_archived boolean DEFAULT NULL,
  p_quiet_after_seq int DEFAULT NULL,
  p_quiet_types text[] DEFAULT NULL,
  p_consume_ids text[] DEFAULT NULL,
  p_consume_turn_id text DEFAULT NULL,
  p_transition jsonb DEFAULT NULL,
  p_transition_if_queued jsonb DEFAULT NULL,
  -- Token usage, added when the event with p_usage_key is new (a replayed step is not counted twice)
  p_usage_key text DEFAULT NULL,
  p_input_tokens int DEFAULT 0,
  p_output_tokens int DEFAULT 0,
  -- A turn is counted when the event with p_turn_key is new
  p_turn_key text DEFAULT NULL,
  p_active_ms bigint DEFAULT 0
) RETURNS TABLE (outcome text, status session_status, turn_job_id text, workspace_id text, queued boolean, rows jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  s record;
  v_now timestamptz := p_now::timestamptz;
  v_queued boolean := false;
  v_transition jsonb;
  v_rows jsonb;
  v_fresh_keys text[];
  v_fresh_count int;
BEGIN
  SELECT x.workspace_id, x.status, x.turn_job_id, x.last_seq, x.archived_at INTO s
  FROM sessions x
  WHERE x.id = p_session_id AND (p_workspace_id IS NULL OR x.workspace_id = p_workspace_id)
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found', NULL::session_status, NULL::text, NULL::text, false, '[]'::jsonb;
    RETURN;
  END IF;
  IF p_owner IS NOT NULL AND s.turn_job_id IS DISTINCT FROM p_owner THEN
    RETURN QUERY SELECT 'taken', s.status, s.turn_job_id, s.workspace_id, false, '[]'::jsonb;
    RETURN;
  END IF;
  IF p_expect_status IS NOT NULL AND (
    s.status <> p_expect_status
    OR (s.archived_at IS NOT NULL) <> p_expect_archived
    OR EXISTS (SELECT 1 FROM events e WHERE e.session_id = p_session_id AND e.seq > p_quiet_after_seq AND e.type = ANY (p_quiet_types))
  ) THEN
    RETURN QUERY SELECT 'stale', s.status, s.turn_job_id, s.workspace_id, false, '[]'::jsonb;
    RETURN;
  END IF;
  IF s.archived_at IS NOT NULL THEN
    RETURN QUERY SELECT 'archived', s.status, s.turn_job_id, s.workspace_id, false, '[]'::jsonb;
    RETURN;
  END IF;

  IF p_transition_if_queued IS NOT NULL THEN
    v_queued := EXISTS (
      SELECT 1 FROM events e
      WHERE e.session_id = p_session_id AND e.type = 'user.message' AND e.processed_at IS NULL
        AND NOT (e.id = ANY (coalesce(p_consume_ids, '{}'))));
  END IF;
  v_transition := CASE WHEN v_queued THEN p_transition_if_queued ELSE p_transition END;
  IF v_transition IS NOT NULL AND NOT (v_transition -> 'from') ? s.status::text THEN
    RETURN QUERY SELECT 'refused', s.status, s.turn_job_id, s.workspace_id, v_queued, '[]'::jsonb;
    RETURN;
  END IF;

  IF cardinality(p_consume_ids) > 0 THEN
    UPDATE events e SET processed_at = v_now, turn_id = p_consume_turn_id
    WHERE e.session_id = p_session_id AND e.workspace_id = s.workspace_id AND e.id = ANY (p_consume_ids) AND e.processed_at IS NULL;
  END IF;

  WITH asked AS (
    SELECT a.ord, r.id, r.type, r.turn_id, r.dedupe_key, r.payload, r.processed
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS a(event, ord)
    CROSS JOIN LATERAL jsonb_to_record(a.event) AS r(id text, type text, turn_id text, dedupe_key text, payload jsonb, processed boolean)
  ), stored AS (
    SELECT e.* FROM events e
    WHERE e.session_id = p_session_id AND e.dedupe_key IN (SELECT dedupe_key FROM asked WHERE dedupe_key IS NOT NULL)
  ), fresh AS (
    -- The events to insert: no stored event has their key, and a key repeated in the batch is stored once (its first).
    SELECT a.*, s.last_seq + row_number() OVER (ORDER BY a.ord) AS seq
    FROM asked a
    WHERE a.dedupe_key IS NULL
      OR (NOT EXISTS (SELECT 1 FROM stored x WHERE x.dedupe_key = a.dedupe_key)
          AND a.ord = (SELECT min(b.ord) FROM asked b WHERE b.dedupe_key = a.dedupe_key))
  ), inserted AS (
    INSERT INTO events (id, session_id, workspace_id, seq, type, turn_id, dedupe_key, payload, created_at, processed_at)
    SELECT f.id, p_session_id, s.workspace_id, f.seq, f.type, f.turn_id, f.dedupe_key, f.payload, v_now, CASE WHEN f.processed THEN v_now END
    FROM fresh f
    RETURNING *
  ), outbox AS (
    -- One delivery per new event and enabled webhook that wants its type ('*': every type). The data is
    -- the event as the API shows it (serialize.ts toPublicEvent). The id is the event id's time-ordered
    -- part with a part of the webhook's hash, under the delivery prefix (ID_PREFIXES.webhookDelivery): as
    -- unique as the (webhook_id, event_id) pair, and ordered as the events are.
    INSERT INTO webhook_deliveries (id, workspace_id, webhook_id, event_id, session_id, event_type, data, next_attempt_at, created_at)
    SELECT
      'whe_' || left(CASE WHEN i.id ~ '_[0-9a-f]{32}$' THEN right(i.id, 32) ELSE md5(i.id) END, 22) || left(md5(w.id), 10),
      s.workspace_id, w.id, i.id, p_session_id, i.type,
      jsonb_build_object(
        'id', i.id, 'type', i.type, 'session_id', p_session_id, 'turn_id', i.turn_id, 'created_at', p_now,
        'processed_at', CASE WHEN i.processed_at IS NOT NULL THEN p_now END
      ) || CASE WHEN jsonb_typeof(i.payload) = 'object' THEN i.payload ELSE '{}'::jsonb END,
      v_now, v_now
    FROM inserted i
    JOIN webhooks w ON w.workspace_id = s.workspace_id AND w.enabled AND w.event_types && ARRAY['*', i.type]
  )
  -- One row per event asked for, in order: the inserted one (fresh: true) or, for a key stored before or
  -- earlier in the batch, the stored one.
  SELECT
    coalesce(jsonb_agg(coalesce(
      (SELECT to_jsonb(i) || '{"fresh": true}' FROM inserted i WHERE i.id = a.id),
      (SELECT to_jsonb(i) || '{"fresh": false}' FROM inserted i WHERE i.dedupe_key = a.dedupe_key),
      (SELECT to_jsonb(x) || '{"fresh": false}' FROM stored x WHERE x.dedupe_key = a.dedupe_key)
    ) ORDER BY a.ord), '[]'::jsonb),
    (SELECT array_agg(i.dedupe_key) FROM inserted i),
    (SELECT count(*) FROM inserted)
  INTO v_rows, v_fresh_keys, v_fresh_count
  FROM asked a;

  IF v_fresh_count > 0 OR v_transition IS NOT NULL OR p_active_ms <> 0 THEN
    UPDATE sessions x SET
      last_seq = x.last_seq + v_fresh_count,
      updated_at = v_now,
      input_tokens = x.input_tokens + CASE WHEN p_usage_key = ANY (v_fresh_keys) THEN p_input_tokens ELSE 0 END,
      output_tokens = x.output_tokens + CASE WHEN p_usage_key = ANY (v_fresh_keys) THEN p_output_tokens ELSE 0 END,
      turns = x.turns + CASE WHEN p_turn_key = ANY (v_fresh_keys) THEN 1 ELSE 0 END,
      active_ms = x.active_ms + p_active_ms,
      status = coalesce((v_transition ->> 'to')::session_status, x.status),
      turn_job_id = CASE WHEN (v_transition ->> 'release_owner')::boolean THEN NULL ELSE x.turn_job_id END
    WHERE x.id = p_session_id AND x.workspace_id = s.workspace_id;
  END IF;

  RETURN QUERY SELECT 'appended', s.status, s.turn_job_id, s.workspace_id, v_queued, v_rows;
END
$$;
