CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`worker_id` text NOT NULL,
	`status` text NOT NULL,
	`resumed_from_pass` integer DEFAULT 0 NOT NULL,
	`passes_done` integer DEFAULT 0 NOT NULL,
	`images` integer NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`wall_ms` real,
	`onnx_ms` real,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`job_id`);