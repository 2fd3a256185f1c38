local function __TS__StringPadding(self, maxLength, fillString)
    if fillString == nil then
        fillString = " "
    end
    local needed = maxLength - string.len(self)
    if needed <= 0 or fillString == "" then
        return ""
    end
    return string.sub(string.rep(fillString, needed // string.len(fillString) + 1), 1, needed)
end

local function __TS__StringPadStart(self, maxLength, fillString)
    return __TS__StringPadding(self, maxLength, fillString) .. self
end
