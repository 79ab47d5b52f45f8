#version 330 core
// Kinds (render.c's KIND_*): 0 capsule (a line with round caps; a disc
// when a == b), 1 solid fill, 2 text (coverage from the glyph atlas),
// 3 image (the video frame, opaque).
in vec2 v_pos;
in vec4 v_shape;
in float v_radius;
flat in int v_kind;
in vec4 v_color;

uniform sampler2D u_font;
uniform sampler2D u_image;

out vec4 o_color;

void main()
{
    if (v_kind == 0) {
        vec2 a = v_shape.xy, b = v_shape.zw;
        vec2 pa = v_pos - a, ba = b - a;
        float h = clamp(dot(pa, ba) / max(dot(ba, ba), 1e-6), 0.0, 1.0);
        float d = length(pa - ba * h) - v_radius;
        // one pixel of feather, as app/annotate.c
        float cov = clamp(0.5 - d, 0.0, 1.0);
        o_color = vec4(v_color.rgb, v_color.a * cov);
    } else if (v_kind == 1) {
        o_color = v_color;
    } else if (v_kind == 2) {
        float cov = texture(u_font, v_shape.xy).r;
        o_color = vec4(v_color.rgb, v_color.a * cov);
    } else {
        o_color = vec4(texture(u_image, v_shape.xy).rgb, 1.0);
    }
}
