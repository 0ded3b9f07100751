"""PL/pgSQL bodies of the ledger's triggers (declared on the models with django-pgtrigger).

Each refusal names its rule as the constraint (SQLSTATE 23514, check_violation), so the API maps
it to a 422 naming the rule and the services can tell which rule refused.
"""

# AFTER INSERT on a container: its balance row, at zero.
CONTAINER_OPENS_BALANCE_SQL = """
    INSERT INTO controlled_containerbalance (container_id, on_hand_mg, entry_count) VALUES (NEW.id, 0, 0);
    RETURN NULL;
"""

# BEFORE INSERT/UPDATE/DELETE on a balance: it starts at zero and moves only from the entry
# trigger below (a statement run by a trigger function runs at trigger depth 2).
BALANCE_GUARD_SQL = """
    IF TG_OP = 'INSERT' THEN
        IF NEW.on_hand_mg <> 0 OR NEW.entry_count <> 0 THEN
            RAISE EXCEPTION 'a container balance starts at zero; ledger entries move it'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'containerbalance_moved_by_entries_only';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' OR pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'container balances move only by ledger entries'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'containerbalance_moved_by_entries_only';
    END IF;
    RETURN NEW;
"""

# BEFORE INSERT on an entry. The UPDATE takes the balance row's lock, so concurrent entries on one
# container queue here; the CHECK on the balance refuses the one that would take it below zero.
ENTRY_MOVES_BALANCE_SQL = """
    SELECT p.unit_mg INTO unit
      FROM controlled_container c JOIN controlled_product p ON p.id = c.product_id
     WHERE c.id = NEW.container_id;
    IF unit IS NOT NULL AND (NEW.devices IS NULL OR abs(NEW.change_mg) <> NEW.devices * unit) THEN
        RAISE EXCEPTION 'whole devices only: % mg is not % device(s) of % mg', NEW.change_mg, NEW.devices, unit
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledgerentry_whole_devices';
    END IF;
    -- A draw is exactly what its dose gave; anything more drawn leaves the container as a waste.
    IF NEW.kind = 'draw' AND NEW.change_mg IS DISTINCT FROM
       -(SELECT d.dose_mg FROM monitoring_doseadministration d WHERE d.id = NEW.dose_id) THEN
        RAISE EXCEPTION 'a draw is the amount its dose gave; the rest drawn is a recorded waste'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledgerentry_draw_is_its_dose';
    END IF;
    IF NEW.draw_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM controlled_ledgerentry d
         WHERE d.id = NEW.draw_id AND d.kind = 'draw' AND d.container_id = NEW.container_id
    ) THEN
        RAISE EXCEPTION 'a waste of a draw is taken from the container of that draw'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledgerentry_waste_of_own_draw';
    END IF;
    IF NEW.corrects_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM controlled_ledgerentry o WHERE o.id = NEW.corrects_id AND o.container_id = NEW.container_id
    ) THEN
        RAISE EXCEPTION 'a correction is made on the container of the entry it corrects'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledgerentry_correction_same_container';
    END IF;
    UPDATE controlled_containerbalance
       SET on_hand_mg = on_hand_mg + NEW.change_mg, entry_count = entry_count + 1
     WHERE container_id = NEW.container_id
    RETURNING on_hand_mg INTO NEW.balance_after_mg;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'container % has no balance', NEW.container_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledgerentry_moves_balance';
    END IF;
    -- The typing time is the database's, whatever the client sent.
    NEW.recorded_at := clock_timestamp();
    RETURN NEW;
"""

# BEFORE INSERT on a witnessing: of a waste, by someone other than the waster.
WITNESS_IS_SECOND_PERSON_SQL = """
    SELECT by_id, kind INTO waster, entry_kind FROM controlled_ledgerentry WHERE id = NEW.entry_id;
    IF entry_kind IS DISTINCT FROM 'waste' THEN
        RAISE EXCEPTION 'only a waste is witnessed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'witnessing_of_a_waste';
    END IF;
    IF NEW.witness_id = waster THEN
        RAISE EXCEPTION 'the witness of a waste is a second person, not the one who wasted'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'witnessing_second_person';
    END IF;
    RETURN NEW;
"""
