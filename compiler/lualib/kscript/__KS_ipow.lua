local function __KS_ipow(base, exponent)
    if math.type(exponent) ~= "integer" or exponent < 0 then
        error("ipow: exponent must be a non-negative integer, got " .. tostring(exponent), 2)
    end
    local result = 1
    while exponent > 0 do
        if exponent & 1 == 1 then
            result = result * base
        end
        base = base * base
        exponent = exponent >> 1
    end
    return result
end
