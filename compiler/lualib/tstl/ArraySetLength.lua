local function __TS__ArraySetLength(self, length)
    if math.type(length) ~= "integer" or length < 0 then
        error("invalid array length: " .. tostring(length), 0)
    end
    for i = length + 1, #self do
        self[i] = nil
    end
    return length
end
