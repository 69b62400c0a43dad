/** Starts nothing yet; the Spectrum simulator is wired in here. */
export default async function setup(): Promise<void> {}
