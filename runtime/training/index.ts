/**
 * Trainings, the router's side: datasets taken in (checked line by line, sealed in chunks),
 * trainings started, read and cancelled, and what pool workers trained recorded as versions.
 */
export { CHUNK_BYTES, takeDataset } from './dataset-intake.ts';
export { TRAINING_ID, Trainings, type DatasetSource, type TrainingsDeps } from './trainings.ts';
export { TrainedVersions, trainedBundle, verdictOf, type TrainedVersionsDeps } from './trained-versions.ts';
export { DatasetInvalidError, DatasetTooLargeError, NotTrainableError, TrainingEndedError, TrainingNotFoundError } from './training-errors.ts';
