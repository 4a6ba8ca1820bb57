-- A tenant's numbers a page at a time: an indexed range of (tenant_id, id), read in id order,
-- whatever the tenant's size or how many other tenants' numbers lie between its own.
CREATE INDEX numbers_by_tenant ON numbers (tenant_id, id);
