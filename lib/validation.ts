// Rules shared by request schemas. Postgres text cannot hold U+0000, so a NUL in any text that may reach the
// database is refused at the edge (400) instead of failing in the database (500).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching U+0000 is the point
export const NO_NUL = /^[^\u0000]*$/;
export const NO_NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
