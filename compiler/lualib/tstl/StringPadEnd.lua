local function __TS__StringPadEnd(self, maxLength, fillString)
    if fillString == nil then
        fillString = " "
    end
    local length = string.len(self)
    if maxLength <= length or fillString == "" then
        return self
    end
    local needed = maxLength - length
    local fill = string.sub(string.rep(fillString, needed // string.len(fillString) + 1), 1, needed)
    return self .. fill
end
