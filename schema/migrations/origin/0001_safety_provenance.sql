CREATE TABLE `output_tokens` (
	`sha256` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`prompt` text NOT NULL,
	`seed` integer NOT NULL,
	`rows` integer NOT NULL,
	`cols` integer NOT NULL,
	`codebook_size` integer NOT NULL,
	`tokens` blob NOT NULL,
	`scene` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `provenance_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `provenance_records` (
	`sha256` text PRIMARY KEY NOT NULL,
	`payload_key` text NOT NULL,
	`job_id` text NOT NULL,
	`image_index` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`record` text NOT NULL,
	`signature` text NOT NULL,
	`key_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `provenance_by_payload` ON `provenance_records` (`payload_key`);--> statement-breakpoint
CREATE TABLE `safety_verdicts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`stage` text NOT NULL,
	`plugin` text NOT NULL,
	`allowed` integer NOT NULL,
	`category` text,
	`score` real,
	`pass` integer NOT NULL,
	`image_index` integer NOT NULL,
	`passes_skipped` integer,
	`saved_ms` real,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `verdicts_by_time` ON `safety_verdicts` (`created_at`);--> statement-breakpoint
CREATE INDEX `verdicts_by_job` ON `safety_verdicts` (`job_id`);