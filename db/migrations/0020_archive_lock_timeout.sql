-- The archive commit (archive_batch_commit, migrations 0016-0019) takes an advisory lock per order and per SKU of
-- its batch, the same locks the late-copy triggers take (0017). A copy session stuck while holding one would hold
-- the commit for good: with this setting the commit gives up after 5 s (lock_not_available, 55P03), nothing is
-- deleted, its batch stays pending, and the next archive run tries it again.
ALTER FUNCTION archive_batch_commit(bigint, jsonb, jsonb) SET lock_timeout = '5s';
