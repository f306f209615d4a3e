# Copyright (c) mmtao contributors. All rights reserved.
