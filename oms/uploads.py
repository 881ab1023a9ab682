"""Upload size limit: a request whose files together pass settings.OMS_MAX_UPLOAD_BYTES is refused (400) while
it streams in, before it fills memory or the disk. First in FILE_UPLOAD_HANDLERS."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    @property
    def limit(self) -> int:
        return settings.OMS_MAX_UPLOAD_BYTES

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit:
            raise RequestDataTooBig(f"the upload is larger than {self.limit} bytes")

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestDataTooBig(f"the upload is larger than {self.limit} bytes")
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None  # the next handler makes the file
