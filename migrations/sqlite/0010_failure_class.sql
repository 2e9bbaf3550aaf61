-- Which failure a user can act on an assignment's refused apply was (`domain::status::
-- FailureClass`: StoreMissing, OperatorMissing, NamespaceMissing, Forbidden, ForeignObject, …),
-- recorded by the status engine from the API server's structured answer, so the pages say one
-- plain sentence and what to do without reading the reason's words.
ALTER TABLE assignments ADD COLUMN failure TEXT;
