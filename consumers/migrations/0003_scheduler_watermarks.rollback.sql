DROP TABLE scheduler_watermarks;
