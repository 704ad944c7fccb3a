defmodule Golden.ProcessDict.EraseAll do
  def snapshot do
    # comments and strings that mention Process.put are not calls
    text = "Process.put(:a, 1)"
    {text, Process.get()}
  end
end
