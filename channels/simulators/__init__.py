"""Local marketplaces (Rakuten RMS, Yahoo!ショッピング, Amazon SP-API) for tests, demos and rehearsals."""
