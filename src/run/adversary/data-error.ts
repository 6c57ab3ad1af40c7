/** suites/adversary.json (or the spec text it is generated from) is malformed: the message names the file, the case and the field. The catalogue turns it into its CatalogueError, so the run refuses to start. */
export class AdversaryDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdversaryDataError';
  }
}
