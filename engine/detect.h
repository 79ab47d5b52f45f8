/*
 * detect: SSD anchor detectors' post-processing (MediaPipe's
 * SsdAnchorsCalculator, TensorsToDetectionsCalculator and weighted
 * NonMaxSuppression), shared by the pose detector and the palm detector.
 *
 * Coordinates are tensor-normalised (0..1 over the detector's input
 * tensor); un-letterboxing to the frame is the caller's step (image.h).
 * Nothing here allocates: the caller passes every buffer, sized by the
 * anchor count, so a detector can run per frame after warm-up.
 */
#ifndef ENG_DETECT_H
#define ENG_DETECT_H

#define ENG_DETECT_MAX_KEYPOINTS 8
#define ENG_SSD_MAX_LAYERS 8

typedef struct eng_ssd_desc {
    int input_size;                  /* square input, pixels */
    int num_layers;
    int strides[ENG_SSD_MAX_LAYERS];
    int num_keypoints;               /* values per anchor = 4 + 2 * this */
    float min_score;                 /* sigmoid score threshold (>=) */
    float iou_threshold;             /* weighted NMS suppression (>) */
} eng_ssd_desc;

typedef struct eng_detection {
    float score;
    float xmin, ymin, xmax, ymax;
    float kp[ENG_DETECT_MAX_KEYPOINTS][2];
} eng_detection;

/* Number of anchors the description generates (2 per cell per layer, with
 * layers of equal stride sharing one grid), or -1 if it is invalid. */
int eng_ssd_anchor_count(const eng_ssd_desc *d);

/* Writes the anchor centres, (x, y) pairs, for every anchor in the models'
 * output order; `xy` holds 2 * eng_ssd_anchor_count() floats. Anchors have
 * fixed size 1 (fixed_anchor_size), so only centres matter. */
void eng_ssd_anchors(const eng_ssd_desc *d, float *xy);

/* Decodes raw boxes [n][4 + 2k] and score logits [n] against the anchors,
 * keeps those scoring >= min_score, runs weighted NMS and writes at most
 * `cap` detections, best first, into out. `scratch` holds n detections and
 * `order` n ints (caller-owned work space). Returns the count written. */
int eng_ssd_detect(const eng_ssd_desc *d, const float *anchors,
                   const float *boxes, const float *scores,
                   eng_detection *scratch, int *order, eng_detection *out,
                   int cap);

/* Intersection over union of two axis-aligned boxes (0 when empty). */
float eng_detection_iou(const eng_detection *a, const eng_detection *b);

#endif
